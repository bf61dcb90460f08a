import Foundation
import FuzzSupport
import StyxyCore
import StyxyManifest
import StyxyRender

// The loader only looks under the root (whether a template file exists), never writes there.
private let workspace = Workspace("manifest")
private let loader = ManifestLoader(catalog: Catalog.builtin(), builtinTemplates: Set(TemplateStore.builtinNames))
private let builtins = TemplateStore.builtinNames.map { name in (name: name, template: try! TemplateStore.builtin(name)) }

/// One input, read twice: as `styxy.yaml`, followed where `styxy validate` goes (commands expanded,
/// every output rendered), and as the user configuration (`STYXY_CONFIG`), which goes through the
/// same YAML layer into the catalog reader. Only a file path reaches the latter.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    load(Array(input))
    load(HostilePieces.manifest(from: input))
    let configPath = workspace.store(input, as: "config.yaml")
    do {
        let catalog = try Catalog.load(environment: ["STYXY_CONFIG": configPath])
        for type in catalog.sortedTypes {
            Oracle.require(type.range.lowerBound >= 1024 && type.range.upperBound <= 65535, "type \(type.name) has range \(type.range)")
            Oracle.require(type.preferred.allSatisfy(type.range.contains), "type \(type.name) prefers a port outside \(type.range)")
        }
    } catch {
        Oracle.checkRejection(error)
    }
    return 0
}

/// A manifest through the loader and, when it loads, where `styxy validate` goes next.
private func load(_ bytes: [UInt8]) {
    do {
        let manifest = try loader.parse(bytes, path: "fuzz.yaml", root: workspace.root)
        checkAccepted(manifest)
        renderOutputs(manifest)
    } catch {
        Oracle.checkRejection(error)
    }
}

/// A manifest that loads keeps the promises the engine and the renderer build on.
private func checkAccepted(_ manifest: Manifest) {
    let names = manifest.services.map(\.name)
    Oracle.require(names == names.sorted() && Set(names).count == names.count, "services not sorted and unique: \(names)")
    var variables: Set<String> = []
    for service in manifest.services {
        let label = "service '\(service.name)'"
        Oracle.require(Manifest.isValidName(service.name), "\(label) has an invalid name")
        let floor = service.allowPrivileged ? 1 : 1024
        Oracle.require(service.range.lowerBound >= floor && service.range.upperBound <= 65535, "\(label) has range \(service.range)")
        Oracle.require(!service.ports.isEmpty, "\(label) has no ports")
        let portNames = service.ports.map(\.name)
        Oracle.require(portNames == portNames.sorted() && Set(portNames).count == portNames.count, "\(label) port names \(portNames)")
        for port in service.ports {
            if let preferred = port.preferred {
                Oracle.require((floor...65535).contains(preferred), "\(label) prefers port \(preferred)")
            }
            Oracle.require(!port.env.isEmpty, "\(label) port \(port.name) sets no variable")
            for name in port.env {
                Oracle.require(Manifest.isValidEnvName(name) && PortVariableName.check(name).isAllowed, "\(label) sets variable '\(name)'")
                Oracle.require(variables.insert(name).inserted, "variable '\(name)' is set twice")
            }
            if let compose = port.compose {
                Oracle.require((1...65535).contains(compose.target), "\(label) publishes to container port \(compose.target)")
            }
        }
    }
    checkStartKeys(manifest)
    var paths: Set<String> = []
    for output in manifest.outputs {
        let parts = output.path.split(separator: "/", omittingEmptySubsequences: false)
        Oracle.require(!output.path.hasPrefix("/") && !parts.contains("..") && !parts.contains(".") && !parts.contains("") && parts.first != ".git",
                       "output path '\(output.path)' escapes or is not normalised")
        Oracle.require(!output.path.utf8.contains(0), "output path '\(output.path)' holds a NUL byte, which would cut it short")
        Oracle.require(output.path.utf8.count <= 4095 && parts.allSatisfy { $0.utf8.count <= 255 },
                       "output path '\(output.path.prefix(80))…' is longer than the kernel takes")
        Oracle.require(paths.insert(output.path).inserted, "output path '\(output.path)' is written twice")
    }
}

/// `cwd`, `after` and `ready` as `up` relies on them: a normalised folder below the root, names
/// of declared services with no circle (so every service has a place in the start order), and a
/// timeout within its documented bound.
private func checkStartKeys(_ manifest: Manifest) {
    let names = Set(manifest.services.map(\.name))
    for service in manifest.services {
        let label = "service '\(service.name)'"
        if let cwd = service.cwd {
            let parts = cwd.split(separator: "/", omittingEmptySubsequences: false)
            Oracle.require(cwd == "." || (!cwd.hasPrefix("/") && !parts.contains("..") && !parts.contains(".") && !parts.contains("")),
                           "\(label) has cwd '\(cwd)', not normalised")
            Oracle.require(service.command != nil, "\(label) has a cwd but no command")
            Oracle.require(manifest.workingFolder(of: service).hasPrefix(manifest.root), "\(label) runs outside the project")
        }
        Oracle.require(service.after.allSatisfy { names.contains($0.name) && $0.name != service.name },
                       "\(label) is after \(service.after.map(\.name))")
        if let timeout = service.readyTimeout {
            Oracle.require(timeout > 0 && timeout <= Service.longestReadyTimeout, "\(label) has ready timeout \(timeout)")
        }
    }
    Oracle.require(manifest.startOrder(of: manifest.services.map(\.name)).count == manifest.services.count,
                   "the after: lists hold a circle")
}

/// What `styxy validate` does next: each port stands in as its preference or its range's first port,
/// commands are expanded, and every built-in template renders. Commands and the project name are
/// free text here, so the json output is parsed back: quoting must keep them exactly.
private func renderOutputs(_ manifest: Manifest) {
    let services = manifest.services.map { service in
        ServiceContext(
            name: service.name, type: service.type ?? "",
            ports: service.ports.map { named in
                NamedPortContext(name: named.name, port: named.preferred ?? service.range.lowerBound, env: named.env,
                                 compose: named.compose.map { ComposeContext(service: $0.service, target: $0.target) })
            },
            command: service.command, shared: service.shared)
    }
    let context: RenderContext
    do {
        context = try RenderContext(project: manifest.project, root: manifest.root, instance: "default",
                                    manifest: "fuzz.yaml", services: services).expandingCommands()
    } catch {
        Oracle.checkRejection(error)
        return
    }
    let prepared = PreparedContext(context)
    for builtin in builtins {
        let text: String
        do {
            text = try builtin.template.render(prepared)
        } catch {
            Oracle.checkRejection(error)
            continue
        }
        guard builtin.name == "json" else { continue }
        let parsed = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        Oracle.require(parsed != nil, "the json output does not parse", text)
        Oracle.require(parsed?["project"] as? String == context.project, "the json output changes the project name", text)
        let commands = (parsed?["services"] as? [[String: Any]])?.map { $0["command"] as? String }
        Oracle.require(commands == context.services.map(\.command), "the json output changes a command", text)
    }
}
