import FuzzSupport
import StyxyCore
import StyxyRender

/// Strings with something for every quoting form to do: quotes, `$`, a newline, non-ASCII.
private let web = ServiceContext(
    name: "web", type: "dev", port: 3000, env: ["PORT", "WEB_PORT"],
    command: "vite --port 3000 --host \"0.0.0.0\" $EXTRA 'a\nb' é", compose: ComposeContext(service: "web", target: 5173))
private let db = ServiceContext(
    name: "db", type: "database",
    ports: [
        NamedPortContext(name: "main", port: 5432, env: ["DB_PORT"], compose: ComposeContext(service: "db", target: 5432)),
        NamedPortContext(name: "admin", port: 5433, env: ["DB_ADMIN_PORT"], compose: ComposeContext(service: "db", target: 8080)),
    ],
    shared: true)

/// A context with lists in every section, and one with none: templates branch on both. Kept as
/// plain (Sendable) values and prepared for each render: a prepared context holds `Any` values,
/// which a global may not share across threads.
private let contexts = [
    RenderContext(project: "shop \"#1\"", root: "/srv/shop: it's", instance: "2", manifest: "styxy.yaml", services: [web, db]),
    RenderContext(project: "empty", root: "/e", instance: "default", manifest: "styxy.yaml", services: []),
]

/// One input as an output template (strict compile, then render), and as a service's `command`,
/// which goes through the same strict compile against a smaller set of names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let source = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let template = try OutputTemplate(source: source, name: "fuzz", displayName: "fuzz.mustache")
        for context in contexts {
            do {
                _ = try template.render(context)
            } catch {
                Oracle.checkRejection(error)
            }
        }
    } catch {
        Oracle.checkRejection(error)
    }
    do {
        _ = try expandCommand(source, service: web, variables: ["DB_PORT": 5432])
    } catch {
        Oracle.checkRejection(error)
    }
    return 0
}
