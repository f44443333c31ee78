import AllocShim
import Foundation

/// The one line printed for an error that ends a command (exit status 1).
///
/// Foundation's file errors describe themselves as a dump of their domain, code and user-info
/// dictionary ("Error Domain=NSCocoaErrorDomain Code=4 ... UserInfo={...}"); for those the line
/// is their sentence, the path and the system's reason. Every other error is its description.
enum FailureMessage {
    static func text(for error: any Error) -> String {
        let bridged = error as NSError
        guard bridged.domain == NSCocoaErrorDomain || bridged.domain == NSPOSIXErrorDomain else { return String(describing: error) }
        var text = bridged.localizedDescription
        let path = bridged.userInfo[NSFilePathErrorKey] as? String ?? (bridged.userInfo[NSURLErrorKey] as? URL)?.path
        if let path { text += " Path: '\(EnvironmentVariable.displayed(path))'." }
        if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            text += " System error: \(underlying.localizedDescription)."
        }
        return text
    }
}
