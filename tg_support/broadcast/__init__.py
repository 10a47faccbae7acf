"""Admin broadcasts: the state machine and its exactly-once delivery state in Redis
(``broadcasts``), and the admin-facing texts and previews workers and handlers share
(``texts``)."""
