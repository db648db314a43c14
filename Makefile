# eksdrift: every habitual command. `make` alone lists them.
SHELL := /bin/bash
GO ?= go
GOFLAGS_TEST ?= -p 2
FUZZTIME ?= 30s
BUILD := build
FUNCTIONS := $(notdir $(wildcard functions/*))
# lambda.norpc: provided.al2023 speaks the Runtime API over HTTP, not RPC.
# nethttpomithttp2 leaves net/http's bundled HTTP/2 out (about 330 KB): every
# service the functions call (EKS, IAM, STS, S3, DynamoDB, SNS, Secrets
# Manager, Security Hub, CloudTrail) and the Slack webhook answer HTTP/1.1,
# which the SDK falls back to; only event-stream APIs need HTTP/2, and none
# is used. infra/main_test.go, internal/lambdatest and internal/e2e build
# their bootstraps with the same tags.
LAMBDA_TAGS := lambda.norpc,nethttpomithttp2
LAMBDA_FLAGS := -tags $(LAMBDA_TAGS) -trimpath -ldflags='-s -w'
# One build configuration for the host, the functions' own: make test, make
# lint (go vet and staticcheck's go list), the CDK app that cdk synth runs
# (go run ./infra/app) and the host builds of the functions (internal/lambdatest,
# internal/e2e, make size) all compile with CGO off, -trimpath and the
# functions' tags, so the build cache holds one host copy of the SDK and the
# standard library instead of two (tags, -trimpath and CGO_ENABLED each change
# every package's cache key). docs/ARCHITECTURE.md#ci gives the figures. The
# GOFLAGS of `go env` (a user's own) are kept.
export CGO_ENABLED ?= 0
export GOFLAGS := $(strip $(filter-out -trimpath -tags=%,$(shell $(GO) env GOFLAGS)) -trimpath -tags=$(LAMBDA_TAGS))
MINISTACK_VERSION := 1.5.33
CFN_LINT_VERSION := 1.58.0
MOTO_VERSION := 5.2.5
# MiniStack answers the Go SDK's CloudWatch calls (rpcv2Cbor) only with cbor2.
CBOR2_VERSION := 6.3.0
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
# staticcheck 2026.2.2 is the first release line that builds with Go 1.26.
STATICCHECK_VERSION := v0.8.2
GOCYCLO_VERSION := v0.6.0
# The complexity gate: a function over this many paths fails `make lint`
# unless .complexity-exceptions lists it with its reason.
COMPLEXITY_LIMIT := 30
TOOLS := $(CURDIR)/$(BUILD)/tools
# The CDK CLI lives in .cdk/ (package.json, node_modules): a directory whose
# name starts with a dot, so that `go ... ./...` never walks its Go templates.
CDK := .cdk/node_modules/.bin/cdk
CDK_FLAGS ?=

# The CDK app and its tests run through jsii: keep its unpacked packages
# between runs, and spare the Node 20 banner. Both must be set before a Go
# CDK program starts.
export JSII_RUNTIME_PACKAGE_CACHE_ROOT ?= $(CURDIR)/$(BUILD)/jsii-cache
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: demo
demo: ## replay events/ against events/baseline.yaml locally, then query the history
	$(GO) run ./cmd/eksdrift replay --baseline events/baseline.yaml events/
	@echo
	@echo '$$ eksdrift history --cluster prod --drift-only --limit 10'
	@$(GO) run ./cmd/eksdrift history --cluster prod --drift-only --limit 10

.PHONY: test
test: tools ## run the whole test suite (fuzz seeds included; starts MiniStack on 127.0.0.1 as needed)
	PATH="$(TOOLS):$$PATH" $(GO) test $(GOFLAGS_TEST) -count=1 ./...

# The end-to-end test deploys what `cdk synth` writes (build/e2e/cdk.out) on
# MiniStack over HTTPS with IAM enforced, through internal/e2e/launcher.py;
# see docs/ARCHITECTURE.md#testing.
.PHONY: e2e
e2e: tools functions $(CDK) ## deploy the synthesized stacks on MiniStack (HTTPS, IAM enforced) and run every scenario end to end
	PATH="$(TOOLS):$$PATH" EKSDRIFT_E2E=1 EKSDRIFT_E2E_EVENTS=$(EKSDRIFT_E2E_EVENTS) EKSDRIFT_E2E_CDK=$(CURDIR)/$(CDK) $(GO) test -count=1 -timeout 20m -v ./internal/e2e

.PHONY: e2e-measure
e2e-measure: ## make e2e, timing 50 events each way (PutEvents to SNS, to the live state restored): the figures in docs/detector.md
	$(MAKE) e2e EKSDRIFT_E2E_EVENTS=50

.PHONY: tools
tools: venv-tools $(TOOLS)/aws-lambda-rie lint-tools ## install the test tools: MiniStack (with cbor2, for CloudWatch), cfn-lint and moto's server (PyPI, into .venv), the Lambda RIE, staticcheck and gocyclo

.PHONY: venv-tools
venv-tools: .venv/bin/ministack .venv/cbor2-$(CBOR2_VERSION) .venv/cfn-lint-$(CFN_LINT_VERSION) .venv/moto-$(MOTO_VERSION) ## install the PyPI tools only (MiniStack, cbor2, cfn-lint, moto's server) into .venv: no Go build, so .ci/run runs it beside one

.PHONY: cdk-cli
cdk-cli: $(CDK) ## install the CDK CLI (npm ci into .cdk/)

.PHONY: lint-tools
lint-tools: $(TOOLS)/staticcheck-$(STATICCHECK_VERSION) $(TOOLS)/gocyclo-$(GOCYCLO_VERSION) ## install the linters only (staticcheck, gocyclo) into build/tools

# Each linter is installed with `go install` at its pinned version; the
# stamp file beside it makes a new pin install again.
$(TOOLS)/staticcheck-$(STATICCHECK_VERSION):
	GOBIN=$(TOOLS) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	touch $@

$(TOOLS)/gocyclo-$(GOCYCLO_VERSION):
	GOBIN=$(TOOLS) $(GO) install github.com/fzipp/gocyclo/cmd/gocyclo@$(GOCYCLO_VERSION)
	touch $@

.venv/bin/ministack:
	python3 -m venv .venv
	.venv/bin/pip install --quiet --disable-pip-version-check ministack==$(MINISTACK_VERSION)

# Without cbor2 MiniStack answers the SDK's CloudWatch calls (CBOR) with a
# 500: make e2e reads the deployed alarms.
.venv/cbor2-$(CBOR2_VERSION): | .venv/bin/ministack
	.venv/bin/pip install --quiet --disable-pip-version-check cbor2==$(CBOR2_VERSION)
	touch $@

.venv/cfn-lint-$(CFN_LINT_VERSION): | .venv/bin/ministack
	.venv/bin/pip install --quiet --disable-pip-version-check cfn-lint==$(CFN_LINT_VERSION)
	touch $@

# moto's server serves Security Hub, which MiniStack does not
# (internal/awstest.MotoMain starts it).
.venv/moto-$(MOTO_VERSION): | .venv/bin/ministack
	.venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)'
	touch $@

$(CDK): .cdk/package.json .cdk/package-lock.json
	npm ci --prefix .cdk --no-audit --no-fund --loglevel=error
	touch $@

$(TOOLS)/aws-lambda-rie:
	GOBIN=$(TOOLS) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

.PHONY: chromium
chromium: ## install headless Chromium (Debian's chromium package) for the audit report's browser test
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; }

.PHONY: build
build: functions ## build the eksdrift command, and each function as a linux/arm64 bootstrap with its zip
	$(GO) build -trimpath -o $(BUILD)/eksdrift ./cmd/eksdrift

# One go build for every function: it compiles their packages and links the
# six binaries in parallel, where a loop of go builds linked one at a time.
# Each lands in build/arm64/<fn>, and is copied to build/<fn>/bootstrap (the
# stack's asset folder) only when it differs, so an unchanged build keeps the
# bootstrap's mtime and gives the same zip.
.PHONY: functions
functions: ## build each function as a linux/arm64 bootstrap with its zip (what the stack deploys)
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(BUILD)/arm64/ $(addprefix ./functions/,$(FUNCTIONS))
	@for fn in $(FUNCTIONS); do \
		mkdir -p $(BUILD)/$$fn && { cmp -s $(BUILD)/arm64/$$fn $(BUILD)/$$fn/bootstrap || cp $(BUILD)/arm64/$$fn $(BUILD)/$$fn/bootstrap; } || exit 1; \
		(cd $(BUILD)/$$fn && rm -f ../$$fn.zip && zip -q -X ../$$fn.zip bootstrap) || exit 1; \
	done

# What each function's bootstrap weighs (bytes, stripped linux/arm64, as
# make build makes it), its floor (bench/sizefloor: a probe of the Lambda
# runtime, config.LoadDefaultConfig and one call on each AWS service client
# the function links, built the same way), how much the function weighs over
# it, and what its package initialisation costs on this machine
# (GODEBUG=inittrace=1 on a host build: clock and allocations added up,
# median of 11 runs). docs/detector.md#size-and-cold-start keeps the figures.
.PHONY: size
size: ## each function's bootstrap size in bytes (linux/arm64, stripped), its floor (bench/sizefloor), and its init cost (median of 11 runs)
	@mkdir -p $(BUILD)/size
	@$(GO) run ./bench/sizefloor -tags $(LAMBDA_TAGS) -work $(BUILD) $(addprefix ./functions/,$(FUNCTIONS)) > $(BUILD)/size/floor.txt
	@printf '%-12s %10s %10s %10s   %s\n' function bytes floor over init
	@for fn in $(FUNCTIONS); do \
		GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(LAMBDA_FLAGS) -o $(BUILD)/size/$$fn-arm64 ./functions/$$fn || exit 1; \
		CGO_ENABLED=0 $(GO) build -tags $(LAMBDA_TAGS) -trimpath -o $(BUILD)/size/$$fn ./functions/$$fn || exit 1; \
		init=$$(for i in $$(seq 11); do GODEBUG=inittrace=1 AWS_LAMBDA_RUNTIME_API=127.0.0.1:1 timeout 5 $(BUILD)/size/$$fn 2>&1 | \
			awk '/^init / {t += $$5; a += $$10} END {printf "%.2f %d\n", t, a}'; done | sort -n | sed -n 6p); \
		size=$$(stat -c %s $(BUILD)/size/$$fn-arm64); \
		floor=$$(awk -v fn=$$fn '$$1 == fn {print $$2}' $(BUILD)/size/floor.txt); \
		printf '%-12s %10d %10d %10d   %s ms, %s allocations (floor: %s)\n' $$fn $$size $$floor $$((size - floor)) \
			$${init% *} $${init#* } "$$(awk -v fn=$$fn '$$1 == fn {print $$3}' $(BUILD)/size/floor.txt)"; \
	done

.PHONY: synth
synth: build $(CDK) ## synthesize the CloudFormation templates into an empty cdk.out/ (offline; cdk-nag errors fail it)
	rm -rf cdk.out
	$(CDK) synth --quiet --no-notices $(CDK_FLAGS)
	@echo "templates: $$(ls cdk.out/*.template.json)"

.PHONY: deploy
deploy: build $(CDK) ## build the functions and deploy every stack to the account and region of your credentials (see docs/deploy.md)
	$(CDK) deploy --all --no-notices $(CDK_FLAGS)

.PHONY: destroy
destroy: build $(CDK) ## delete the stacks; the history table, the buckets and the key stay unless -c retainData=false was deployed
	$(CDK) destroy --all --no-notices $(CDK_FLAGS)

.PHONY: lint
lint: lint-tools ## gofmt check, go vet, staticcheck, and the complexity gate (a function over 30 only if .complexity-exceptions lists it)
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(TOOLS)/staticcheck ./...
	@$(TOOLS)/gocyclo -over $(COMPLEXITY_LIMIT) $$(git ls-files '*.go' | grep -v '_test\.go$$') | .ci/complexity .complexity-exceptions

.PHONY: bench
bench: ## Go benchmarks, the detector's 10,000-event burst in-process, then bench/replay.sh (200 MB of CloudTrail logs vs zcat and zcat|jq)
	$(GO) test -p 1 -run '^$$' -bench . -benchmem ./...
	EKSDRIFT_BURST_EVENTS=10000 $(GO) test -count=1 -run '^TestBurstRecordsAndPublishesOnce$$' -v ./functions/detect | grep -E 'events/s|^(--- |ok|FAIL)'
	bench/replay.sh

# -fuzzminimizetime: the baseline loader's coverage varies from run to run
# (map order in the schema validator), so nearly every input looks new, and
# the default minute of minimizing each one leaves no time to fuzz.
.PHONY: fuzz
fuzz: ## run each fuzz target for FUZZTIME (default 30s), and the reverter's property test on 20 seeds
	$(GO) test ./internal/cloudtrail -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	$(GO) test ./internal/baseline -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
	PATH="$(TOOLS):$$PATH" EKSDRIFT_PROPERTY_SEEDS=20 EKSDRIFT_PROPERTY_STEPS=60 $(GO) test ./internal/revert -count=1 -run '^TestPropertyDriftIsAlwaysUndone$$' 

.PHONY: schema
schema: ## publish the baseline JSON Schema to docs/
	$(GO) run ./cmd/eksdrift baseline schema > docs/baseline.schema.json

.PHONY: clean
clean: ## remove build output
	rm -rf $(BUILD)
