// The CLI tests' sandbox, processes, ports and listeners come from the shared test-support
// target; `Sandbox.run` drives the command line in-process, `Sandbox.runProcess` through the binary.
@_exported import StyxyTestSupport
