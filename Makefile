# Build, install and package Styxy the way other command-line tools do (README, "Install").
#
#   make                        the release binary (make build), man pages and completions, staged
#   make install                it, its man pages, bash/zsh/fish completions and the schema, under PREFIX
#   make uninstall              exactly the files `make install` put there
#   make dist                   dist/styxy-VERSION-linux-ARCH.tar.gz and its .sha256
#
# PREFIX (default /usr/local) and DESTDIR (for packagers) say where; nothing needs root when PREFIX
# is yours. BINARY=path installs a styxy built elsewhere instead of building one.

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift

# The README's Building section: one fully static, self-contained binary.
BUILT := .build/release/styxy
BINARY ?= $(BUILT)
# Where everything a prefix receives is laid out first: install, uninstall and dist share it.
STAGE := .build/stage
MAN_OUT := .build/plugins/GenerateManual/outputs/styxy

VERSION := $(shell sed -n 's/^ *public static let version = "\(.*\)"$$/\1/p' Sources/StyxyCore/StyxyRelease.swift)
ARCH := $(shell uname -m)
DIST := styxy-$(VERSION)-linux-$(ARCH)
# The commit `styxy --version` names, "-modified" when tracked files differ from it. Where git
# cannot say (no .git, or `sudo make install` meeting git's ownership check), the commit of the
# last build stands, so installing as root never rebuilds; empty when there was none.
COMMIT_STAMP := .build/styxy-commit
COMMIT := $(strip $(or $(shell git rev-parse -q --verify HEAD >/dev/null 2>&1 && \
	{ c=$$(git rev-parse --short=12 HEAD); git diff --quiet HEAD -- 2>/dev/null || c=$$c-modified; echo $$c; }), \
	$(shell cat $(COMMIT_STAMP) 2>/dev/null)))
# Man pages carry a date: the commit's, so the same commit gives the same pages.
DATE := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)

SOURCES := Package.swift $(shell find Sources config templates -type f 2>/dev/null)
# Rewritten only when the commit changes, so a new commit relinks the binary with its name.
$(shell mkdir -p .build; [ "$$(cat $(COMMIT_STAMP) 2>/dev/null)" = "$(COMMIT)" ] || printf '%s' "$(COMMIT)" > $(COMMIT_STAMP))

.PHONY: all build man stage install uninstall dist
all: stage
build: $(BINARY)

ifeq ($(BINARY),$(BUILT))
$(BUILT): $(SOURCES) $(COMMIT_STAMP)
	STYXY_COMMIT=$(COMMIT) $(SWIFT) build -c release --product styxy --static-swift-stdlib -Xswiftc -static-executable
	@touch $@
else
$(BINARY):
	@echo "make: BINARY=$(BINARY) does not exist; build it, or leave BINARY unset to build .build/release/styxy" >&2; exit 1
endif

# swift-argument-parser's GenerateManual plugin: one page per command, from the command tree
# itself. It builds the package's products to read that tree; debug, because a release build here
# would not have the static flags above and would rebuild the whole release tree twice over.
man: $(MAN_OUT)/styxy.1
$(MAN_OUT)/styxy.1: $(SOURCES)
	rm -rf $(MAN_OUT)
	$(SWIFT) package plugin generate-manual --multi-page --date $(DATE) --configuration debug
	@touch $@

stage: $(STAGE)/.staged
$(STAGE)/.staged: $(BINARY) $(MAN_OUT)/styxy.1 schemas/styxy.schema.json Makefile
	rm -rf $(STAGE)
	mkdir -p $(STAGE)/bin $(STAGE)/share/man/man1 $(STAGE)/share/bash-completion/completions \
		$(STAGE)/share/zsh/site-functions $(STAGE)/share/fish/vendor_completions.d $(STAGE)/share/styxy
	cp $(BINARY) $(STAGE)/bin/styxy
	# A blank line in a command's discussion is a paragraph break, which mdoc spells .Pp (groff
	# warns about empty input lines, and renders them unevenly).
	for page in $(MAN_OUT)/*.1; do sed 's/^$$/.Pp/' $$page > $(STAGE)/share/man/man1/$$(basename $$page); done
	$(BINARY) --generate-completion-script bash > $(STAGE)/share/bash-completion/completions/styxy
	$(BINARY) --generate-completion-script zsh > $(STAGE)/share/zsh/site-functions/_styxy
	$(BINARY) --generate-completion-script fish > $(STAGE)/share/fish/vendor_completions.d/styxy.fish
	cp schemas/styxy.schema.json $(STAGE)/share/styxy/styxy.schema.json
	@touch $@

install: $(STAGE)/.staged
	scripts/install.sh install $(STAGE) "$(DESTDIR)$(PREFIX)"

uninstall:
	scripts/install.sh uninstall "$(DESTDIR)$(PREFIX)"

# A release archive: the staged tree with a stripped binary, README, CHANGELOG and licence, packed
# with fixed owners, order and times so one commit gives one archive.
dist: $(STAGE)/.staged
	rm -rf dist/$(DIST) dist/$(DIST).tar.gz dist/$(DIST).tar.gz.sha256
	mkdir -p dist/$(DIST)
	cp -R $(STAGE)/bin $(STAGE)/share dist/$(DIST)/
	strip dist/$(DIST)/bin/styxy
	cp README.md CHANGELOG.md dist/$(DIST)/
	@licence=$$(ls LICENSE* LICENCE* COPYING* 2>/dev/null); \
	if [ -n "$$licence" ]; then cp $$licence dist/$(DIST)/; else echo "make dist: the repository has no LICENSE file, so the archive has none" >&2; fi
	cd dist && tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$$(git log -1 --format=%ct 2>/dev/null || date +%s) \
		-cf - $(DIST) | gzip -n -9 > $(DIST).tar.gz
	cd dist && sha256sum $(DIST).tar.gz > $(DIST).tar.gz.sha256
	rm -rf dist/$(DIST)
	@echo "dist/$(DIST).tar.gz"; cat dist/$(DIST).tar.gz.sha256
