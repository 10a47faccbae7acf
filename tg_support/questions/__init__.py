"""Questions: the store (``store``), routing to a regional group (``routing``, pure), the
similar-question index (``search``) and forum topics with pseudonyms (``topics``)."""
