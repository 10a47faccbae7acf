"""Trust and safety: the gate before the groups, reports, mutes and bans, export and erase."""
