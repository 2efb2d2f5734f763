"""Reports on users and the moderation queue: any user reports another (POST
/users/{id}/reports), admins work the queue oldest first (GET /admins/reports) and resolve a
report (PATCH /admins/reports/{id}), which closes every open report on the same target with the
same outcome; a warning is shown to its user at GET /users/{id}/warnings."""
