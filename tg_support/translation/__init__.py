"""Translation: the argostranslate backend with placeholder protection and its cache
(``argos``), and envelopes that deliver a message in its reader's language (``delivery``)."""
