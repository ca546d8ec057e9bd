# The two quick-start commands are `make run` and `make test`; everything else is what they are made of.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export CHUANGWEN_VAR_DIR ?= $(CURDIR)/var

.PHONY: run test setup assets browser fonts lint typecheck pytest lock messages clean

run: setup assets fonts
	$(BIN)/chuangwen up

test: setup assets browser fonts lint typecheck pytest

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

assets: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Browser tests use Debian's Chromium; never a downloaded browser.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium and a CJK font for the browser tests"; \
	  apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# Photo watermarks (and PDFs) need a CJK font: Debian's WenQuanYi Micro Hei.
fonts:
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || { \
	  echo "installing Debian's fonts-wqy-microhei for Chinese text in photo watermarks"; \
	  apt-get update -qq && apt-get install -y -qq fonts-wqy-microhei >/dev/null; }

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy chuangwen

# One test process per core (pytest-xdist); PYTEST_WORKERS=0 runs them all in this one.
PYTEST_WORKERS ?= auto
pytest:
	$(BIN)/pytest -q -n $(PYTEST_WORKERS)

lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^chuangwen' > requirements.lock

# After adding or changing UI strings: refresh the English catalogue, translate, then compile.
messages:
	$(BIN)/chuangwen makemessages -l en --ignore=.venv --ignore=node_modules --ignore=var --ignore='*/tests/*'
	msgfmt --check --statistics -o chuangwen/locale/en/LC_MESSAGES/django.mo chuangwen/locale/en/LC_MESSAGES/django.po

clean:
	rm -rf $(VENV) node_modules var
