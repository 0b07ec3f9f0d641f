// swift-tools-version:5.9
// Huoshui for iOS: the Rust core as an XCFramework (built on a Mac by
// scripts/build-xcframework.sh), the Swift bindings UniFFI generates (scripts/build-bindings.sh
// puts them in Sources/Huoshui/Generated, not committed), and a thin hand-written layer.
// Not buildable on Linux (no Swift toolchain there); see the README.
import PackageDescription

let package = Package(
    name: "Huoshui",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "Huoshui", targets: ["Huoshui"]),
        .library(name: "HuoshuiUI", targets: ["HuoshuiUI"]),
    ],
    targets: [
        // libhuoshui_ffi.a for device + simulator, with the C headers and one modulemap
        // declaring the C modules HuoshuiFFI and HuoshuiModelsFFI.
        .binaryTarget(name: "HuoshuiFFIBinary", path: "HuoshuiFFI.xcframework"),
        // Generated/: the view models (from huoshui-core) and the HuoshuiCore object, listeners
        // and errors (from huoshui-ffi), one Swift module as UniFFI intends; + AppCore and
        // KeychainKeystore, hand-written.
        .target(name: "Huoshui", dependencies: ["HuoshuiFFIBinary"], path: "Sources/Huoshui"),
        // The SwiftUI screens: each draws one of the core's screen models (app target: project.yml).
        .target(name: "HuoshuiUI", dependencies: ["Huoshui"], path: "Sources/HuoshuiUI"),
    ]
)
