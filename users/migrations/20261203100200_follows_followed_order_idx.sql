-- migrate:up transaction:false
-- "Who follows X" in the list's full order (the follow's time, then the follower's id), so a
-- page of a much-followed user is read in index order and stopped at the page's end. It
-- supersedes follows_followed_idx, which stays until a later release drops it (expand only).
CREATE INDEX CONCURRENTLY follows_followed_order_idx
    ON follows (followed_id, created_at, follower_id);

-- migrate:down
DROP INDEX IF EXISTS follows_followed_order_idx;
