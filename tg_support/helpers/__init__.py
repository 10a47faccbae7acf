"""Volunteer helpers: the registry and its Redis index (``index``, ``registry``), ranking
(``matching``, pure), offer rounds (``offers``), reputation and badges (``reputation``, pure)
and the stats and leaderboards they are computed from (``stats``)."""
