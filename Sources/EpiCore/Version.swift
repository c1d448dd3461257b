public enum EpiCoreVersion { public static let value = "0.1" }
