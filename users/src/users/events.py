"""The events users publishes through the outbox (outbox.py; the contract is in the root README,
"Event contract"): the metric names, their labels, and the event `source`."""

SOURCE = "users"

USER_CREATED_COUNT = "user_created_count"  # label: how the account was made (below)
USER_BY_REGION_COUNT = "user_by_region_count"  # label: the region given at sign-up
USER_LOGIN_COUNT = "user_login_count"  # label: how the user logged in (below)
USER_BLOCKED_COUNT = "user_blocked_count"
USER_UNBLOCKED_COUNT = "user_unblocked_count"
USER_PASSWORD_RECOVERY_COUNT = "user_password_recovery_count"
USER_FOLLOWED_COUNT = "user_followed_count"
USER_UNFOLLOWED_COUNT = "user_unfollowed_count"
USER_DELETED_COUNT = "user_deleted_count"  # label: by_user (themself) or by_admin
REPORT_OPENED_COUNT = "report_opened_count"  # label: the reason
REPORT_RESOLVED_COUNT = "report_resolved_count"  # label: the outcome, once per report closed

USING_EMAIL_PASSWORD = "using_email_password"
USING_IDP = "using_idp"
