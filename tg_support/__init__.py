"""tg-support: multilingual Telegram peer support for MOOC learners."""

import os

# PTB 22 deprecates int/float durations (retry_after, timeouts) in favour of timedelta; opt in
# now so the code handles the future type and the warning does not flood logs.
os.environ.setdefault("PTB_TIMEDELTA", "1")
