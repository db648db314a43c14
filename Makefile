# eksdrift: every habitual command. `make` alone lists them.
SHELL := /bin/bash
GO ?= go
GOFLAGS_TEST ?= -p 2
FUZZTIME ?= 30s
BUILD := build
FUNCTIONS := $(notdir $(wildcard functions/*))
LAMBDA_FLAGS := -tags lambda.norpc -trimpath -ldflags='-s -w'
MINISTACK_VERSION := 1.5.33
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
TOOLS := $(CURDIR)/$(BUILD)/tools

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: demo
demo: ## replay events/ against events/baseline.yaml locally, then query the history
	$(GO) run ./cmd/eksdrift replay --baseline events/baseline.yaml events/
	@echo
	@echo '$$ eksdrift history --cluster prod --drift-only --limit 10'
	@$(GO) run ./cmd/eksdrift history --cluster prod --drift-only --limit 10

.PHONY: test
test: tools ## run the whole test suite (fuzz seeds included; starts MiniStack on 127.0.0.1 as needed)
	PATH="$(TOOLS):$$PATH" $(GO) test $(GOFLAGS_TEST) -count=1 ./...

.PHONY: tools
tools: .venv/bin/ministack $(TOOLS)/aws-lambda-rie ## install the test emulators: MiniStack (PyPI, into .venv) and the Lambda RIE

.venv/bin/ministack:
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check ministack==$(MINISTACK_VERSION)

$(TOOLS)/aws-lambda-rie:
	GOBIN=$(TOOLS) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

.PHONY: build
build: ## build the eksdrift command, and each function as a linux/arm64 bootstrap with its zip
	$(GO) build -trimpath -o $(BUILD)/eksdrift ./cmd/eksdrift
	@for fn in $(FUNCTIONS); do \
		echo "building $$fn"; \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(BUILD)/$$fn/bootstrap ./functions/$$fn || exit 1; \
		(cd $(BUILD)/$$fn && rm -f ../$$fn.zip && zip -q -X ../$$fn.zip bootstrap) || exit 1; \
	done

.PHONY: lint
lint: ## gofmt check and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

.PHONY: bench
bench: ## Go benchmarks, then bench/replay.sh (200 MB of CloudTrail logs vs zcat and zcat|jq)
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./...
	bench/replay.sh

.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	$(GO) test ./internal/cloudtrail -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/baseline -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)

.PHONY: schema
schema: ## publish the baseline JSON Schema to docs/
	$(GO) run ./cmd/eksdrift baseline schema > docs/baseline.schema.json

.PHONY: clean
clean: ## remove build output
	rm -rf $(BUILD)
