-- migrate:up transaction:false
-- "Whom does X follow", oldest follow first, a page at a time: read in index order and stopped
-- at the page's end (the primary key is ordered by the followed id, so it had to sort them all).
-- Built concurrently, without blocking follows; alone in its file, as CONCURRENTLY requires.
CREATE INDEX CONCURRENTLY follows_follower_order_idx
    ON follows (follower_id, created_at, followed_id);

-- migrate:down
DROP INDEX IF EXISTS follows_follower_order_idx;
