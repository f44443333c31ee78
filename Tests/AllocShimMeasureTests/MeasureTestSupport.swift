import AllocShim

/// The backends this test process can use; tests run once per entry.
let availableBackends: [BackendName] = BackendRegistry.availableBackends

func backend(_ name: BackendName) throws -> any Allocator {
    try BackendRegistry.allocator(name)
}
