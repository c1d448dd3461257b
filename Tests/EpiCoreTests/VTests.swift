import Testing
@testable import EpiCore
@Test func v() { #expect(EpiCoreVersion.value == "0.1") }
