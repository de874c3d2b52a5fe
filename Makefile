# The two commands: `make book` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Kernels started by Jupyter Book and nbval must find the virtual environment's python.
export PATH := $(CURDIR)/$(BIN):$(PATH)
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export MPLBACKEND := Agg
# The chapters multiply small matrices, for which extra BLAS threads cost more
# to synchronise than they save (and crawl when the machine is busy).
OPENBLAS_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS

.PHONY: book test notebooks lab serve clean install

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[book,test]'
	touch $(STAMP)

## make book: build the HTML book into _build/html (chapters executed, cached)
book: $(STAMP)
	$(BIN)/jupyter-book build . --builder html -n -W --keep-going

## make test: unit tests, every chapter through nbval, structural book build
test: $(STAMP)
	$(BIN)/python -m pytest

## make notebooks: write every chapter as an .ipynb into _build/notebooks
notebooks: $(STAMP)
	mkdir -p _build/notebooks
	for f in chapters/*.md; do $(BIN)/jupytext --to ipynb -o _build/notebooks/$$(basename $$f .md).ipynb $$f || exit 1; done

## make serve: serve the built book on http://localhost:8000
serve:
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build .pytest_cache .hypothesis
