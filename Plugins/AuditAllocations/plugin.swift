// `swift package audit-allocations`: runs `allocshim audit` over this package's own source
// targets, so a project audits itself without installing anything (docs/audit.md).
//
//   swift package audit-allocations                         every non-test source target
//   swift package audit-allocations --target Core           only Core (repeatable)
//   swift package audit-allocations --include-tests          test targets too
//   swift package audit-allocations --fail-on unjustified --sarif audit.sarif
//
// Every other argument goes to `allocshim audit` unchanged.
import Foundation
import PackagePlugin

@main
struct AuditAllocations: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let targetNames = extractor.extractOption(named: "target")
        let includeTests = extractor.extractFlag(named: "include-tests") > 0
        let passThrough = extractor.remainingArguments

        let sourceTargets = context.package.targets.compactMap { $0 as? SourceModuleTarget }
        for name in targetNames where !sourceTargets.contains(where: { $0.name == name }) {
            let known = sourceTargets.map(\.name).sorted().joined(separator: ", ")
            throw AuditPluginError("--target '\(name)' is not a source target of \(context.package.displayName) (known: \(known))")
        }
        let chosen = sourceTargets.filter { target in
            if !targetNames.isEmpty { return targetNames.contains(target.name) }
            return includeTests || target.kind != .test
        }
        let directories = chosen.filter { $0.sourceFiles(withSuffix: "swift").contains { _ in true } }.map { $0.directoryURL.path }
        guard !directories.isEmpty else {
            Diagnostics.remark("audit-allocations: no Swift source targets to audit")
            return
        }

        let tool = try context.tool(named: "allocshim")
        let process = Process()
        process.executableURL = tool.url
        process.arguments = ["audit"] + directories + passThrough
        try process.run()
        process.waitUntilExit()
        switch process.terminationStatus {
        case 0: return
        case 1: throw AuditPluginError("uninitialized allocation sites remain (see above)")
        default: throw AuditPluginError("allocshim audit failed with status \(process.terminationStatus)")
        }
    }
}

struct AuditPluginError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
