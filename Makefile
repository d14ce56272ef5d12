# Thin wrapper: `make run` and `make test` are the two commands of README.md.  CMake does the real work.
BUILD ?= build
JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all setup build run test bench bench-noise bench-plastic bench-peers bench-peers-stdp bench-mpi clean

all: build

setup:
	@bash tools/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/balnet run

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run.sh $(BUILD)
	@bash bench/noise.sh $(BUILD)

bench-noise: build
	@bash bench/noise.sh $(BUILD)

bench-plastic: build
	@bash bench/plastic.sh $(BUILD)

bench-peers: build
	@bash bench/peers.sh $(BUILD)

bench-peers-stdp: build
	@bash bench/peers_stdp.sh $(BUILD)

bench-mpi: build
	@bash bench/mpi.sh $(BUILD)

clean:
	rm -rf $(BUILD)
