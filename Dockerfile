# One image for the bot and the workers; docker-compose.yml picks the command.
FROM python:3.11-slim

# DATA_DIR: argos packages (installed by each worker at start) and any embedded Redis.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DATA_DIR=/data
# Noto fonts: the /health charts' labels in Chinese, Hindi and Arabic (ops/chart.py).
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    fonts-noto-core fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app

# torch before argostranslate, pinned: pass the index of CPU-only wheels as TORCH_INDEX_URL
# (or the default index pulls CUDA wheels, several GB).
ARG TORCH_INDEX_URL=""
RUN pip install "torch==2.13.0" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}

COPY pyproject.toml README.md babel.cfg ./
COPY tg_support ./tg_support
COPY workers ./workers
COPY locales ./locales
COPY models ./models
COPY scripts ./scripts
# Editable: locales/ and models/ stay beside the package, where i18n and the workers look.
RUN pip install -e . && python scripts/i18n.py compile

RUN useradd --create-home --uid 10001 tgsupport && mkdir -p /data && chown tgsupport /data
USER tgsupport
CMD ["tg-support", "run"]
