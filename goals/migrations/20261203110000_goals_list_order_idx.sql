-- migrate:up transaction:false
-- A user's goals in the list's order (completed first, then by id), so a page is read in index
-- order and stopped at its end, whatever the number of the user's goals (goals_user_id_idx had
-- them all sorted). It supersedes goals_user_id_idx, which stays until a later release drops it
-- (expand only). Built concurrently, without blocking writes; alone in its file, as
-- CONCURRENTLY requires.
CREATE INDEX CONCURRENTLY goals_user_list_order_idx
    ON goals (user_id, (completed_at IS NULL), id);

-- migrate:down
DROP INDEX IF EXISTS goals_user_list_order_idx;
