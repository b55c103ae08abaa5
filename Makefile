# The two commands a newcomer needs: `make demo` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export YAKUBA_VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test install browser-deps pdf-deps lint messages check-postgres

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/activate pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed pdf-deps
	@command -v msgfmt >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext)
	@mkdir -p $(YAKUBA_VAR_DIR)
	$(BIN)/python manage.py compilemessages --ignore '.venv' --ignore 'node_modules' -v 0

# Starts the demo town: web server and background worker together; Ctrl-C stops both.
demo: install
	$(BIN)/python manage.py migrate --no-input -v 0
	$(BIN)/python manage.py load_demo_town
	$(BIN)/python manage.py procedures_signing_certificate
	$(BIN)/python manage.py run_demo --host $(HOST) --port $(PORT)

# WeasyPrint's text libraries (Pango, HarfBuzz) and a Japanese font for the PDF copies of
# applications, from Debian: IPAexGothic (6 MB) rather than Noto CJK (90 MB).
pdf-deps: $(VENV)/.installed
	@fc-list -q IPAexGothic 2>/dev/null && $(BIN)/python -c 'import weasyprint' 2>/dev/null || \
		(apt-get update -qq && apt-get install -y -qq fontconfig fonts-ipaexfont-gothic \
			libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

# Debian's Chromium for the browser tests (never a downloaded browser build) and axe-core from npm.
browser-deps:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund --silent

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy yakuba tests bench conftest.py

messages: install
	$(BIN)/python manage.py makemessages -l en --ignore '.venv' --ignore 'node_modules' --no-obsolete
