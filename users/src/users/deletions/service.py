"""Deleting an account. The request checks the wallet (payment unlinks it or refuses with 409),
then one transaction removes the users row with its follows and warnings, records the deletion
with every remaining step pending, its event and (when an admin deletes) its audit entry. The
id joins the blocked set at once, so the user's tokens die everywhere. The worker then completes
each step, retrying with backoff until all are done: a service that is down completes its part
when it is back."""

import logging

from litestar.exceptions import NotFoundException

from users import blocking, events, outbox
from users.audit import repository as audit
from users.audit.models import Action, TargetType
from users.deletions import repository
from users.deletions.models import Deletion, Step
from users.profiles import repository as users
from users.profiles.avatar import avatar_name
from users.reports import repository as reports
from users.services import Services
from users.tokens import Caller

log = logging.getLogger(__name__)

BATCH = 20
LEASE = 120.0  # seconds a worker holds a claimed deletion; longer than a round's calls


async def request_deletion(services: Services, caller: Caller, user_id: int) -> Deletion:
    """Idempotent: asking again answers the deletion as it stands."""
    async with services.pool.acquire() as conn:
        existing = await repository.get(conn, user_id)
        if existing is not None:
            return existing
        if await users.get_user(conn, user_id) is None:
            raise NotFoundException("User not found")
    # Before anything is deleted, and with no connection held: a refusal (409, money left or in
    # flight) leaves the account whole.
    await services.payment.unlink_wallet(user_id)
    by_admin = caller.id if caller.role == "admin" else None
    async with services.pool.acquire() as conn, conn.transaction():
        uid = await users.delete_user(conn, user_id)
        if uid is None:  # deleted meanwhile by a concurrent request
            found = await repository.get(conn, user_id)
            if found is None:
                raise NotFoundException("User not found")
            return found
        await reports.delete_warnings(conn, user_id)
        deletion = await repository.insert(conn, user_id, uid, by_admin)
        label = "by_admin" if by_admin is not None else "by_user"
        await outbox.enqueue(conn, events.SOURCE, events.USER_DELETED_COUNT, label)
        if by_admin is not None:
            await audit.record(conn, by_admin, Action.USER_DELETED, TargetType.USER, user_id)
    await blocking.mark(services.redis, user_id, True)
    services.relay.notify()
    services.deleter.notify()
    return deletion


async def status(services: Services, user_id: int) -> Deletion:
    async with services.pool.acquire() as conn:
        found = await repository.get(conn, user_id)
    if found is None:
        raise NotFoundException("No deletion of this user")
    return found


async def _complete(services: Services, user_id: int, firebase_uid: str, step: Step) -> None:
    match step:
        case Step.FIREBASE:
            if firebase_uid:
                await services.auth.delete_account(firebase_uid)  # an account gone is done
        case Step.AVATAR:
            await services.storage.delete(avatar_name(user_id))  # an image never stored is done
        case Step.POSITION:
            await services.positions.remove(user_id)
        case Step.TRAININGS:
            await services.trainings.delete_user(user_id)
        case Step.GOALS:
            await services.goals.delete_user(user_id)


async def run_due(services: Services) -> int:
    """One round over the deletions due: every pending step of each is tried (one failing does
    not hold the others back), then the outcome is settled. Answers how many it completed."""
    settings = services.settings
    async with services.pool.acquire() as conn:
        claimed = await repository.claim_due(conn, BATCH, LEASE)
    completed = 0
    for deletion, uid in claimed:
        done: list[Step] = []
        failures: list[str] = []
        for step in deletion.pending:
            try:
                await _complete(services, deletion.user_id, uid, step)
                done.append(step)
            except Exception as error:  # an outage: the step stays pending and is retried
                failures.append(f"{step.value}: {getattr(error, 'detail', None) or error!r}")
        backoff = min(
            settings.deletion_retry_max, settings.deletion_retry_min * 2**deletion.attempts
        )
        async with services.pool.acquire() as conn:
            await repository.settle(
                conn, deletion.user_id, done, "; ".join(failures) or None, backoff
            )
        if failures:
            log.warning("deletion of user %s pending: %s", deletion.user_id, "; ".join(failures))
        else:
            completed += 1
    return completed


async def work(services: Services) -> float | None:
    """The worker's round (worker.py): the deletions due, then seconds until the next is due."""
    await run_due(services)
    async with services.pool.acquire() as conn:
        return await repository.next_due_in(conn)
