/// Whether an F0 may be cared for at home, per Decision 4038/QĐ-BYT (21/8/2021).
public enum HomeCare {
    public struct Assessment: Sendable, Equatable {
        public var positiveTest: Bool
        public var clinicalStatus: ClinicalStatus
        public var breathsPerMinute: Int?
        public var spo2: Int?
        public var doses: Int
        public var lastDose: CivilDate?
        public var age: Int?
        public var hasListedCondition: Bool
        public var pregnant: Bool
        public var canSelfCareOrHasCarer: Bool

        public init(positiveTest: Bool, clinicalStatus: ClinicalStatus, breathsPerMinute: Int?, spo2: Int?, doses: Int, lastDose: CivilDate?,
                    age: Int?, hasListedCondition: Bool, pregnant: Bool, canSelfCareOrHasCarer: Bool) {
            self.positiveTest = positiveTest
            self.clinicalStatus = clinicalStatus
            self.breathsPerMinute = breathsPerMinute
            self.spo2 = spo2
            self.doses = doses
            self.lastDose = lastDose
            self.age = age
            self.hasListedCondition = hasListedCondition
            self.pregnant = pregnant
            self.canSelfCareOrHasCarer = canSelfCareOrHasCarer
        }
    }

    /// A criterion that was not met, in both UI languages.
    public struct Failure: Sendable, Equatable {
        public let code: String
        public let vi: String
        public let en: String
    }

    /// The criteria not met (empty: eligible). Missing vital signs fail: they must be measured.
    public static func check(_ a: Assessment, on date: CivilDate) -> [Failure] {
        var failures: [Failure] = []
        if !a.positiveTest { failures.append(Failure(code: "no_positive_test", vi: "Chưa có kết quả xét nghiệm dương tính", en: "No positive test")) }
        if ![.asymptomatic, .mild].contains(a.clinicalStatus) {
            failures.append(Failure(code: "symptoms", vi: "Có triệu chứng từ mức trung bình trở lên", en: "Symptoms moderate or worse"))
        }
        if (a.breathsPerMinute ?? Int.max) > 20 { failures.append(Failure(code: "breathing", vi: "Nhịp thở trên 20 lần/phút hoặc chưa đo", en: "Breathing above 20/min or not measured")) }
        if (a.spo2 ?? 0) < 96 { failures.append(Failure(code: "spo2", vi: "SpO2 dưới 96% hoặc chưa đo", en: "SpO2 below 96% or not measured")) }
        let vaccinated = a.doses >= 2 || (a.doses == 1 && (a.lastDose.map { date.days(since: $0) >= 14 } ?? false))
        let lowRisk = (a.age.map { (1...50).contains($0) } ?? false) && !a.hasListedCondition && !a.pregnant
        if !vaccinated && !lowRisk {
            failures.append(Failure(code: "risk_group", vi: "Chưa tiêm đủ (2 mũi, hoặc 1 mũi sau 14 ngày) và không thuộc nhóm 1–50 tuổi, không bệnh nền, không mang thai",
                                    en: "Not vaccinated (2 doses, or 1 dose 14+ days ago) and not aged 1–50 without listed conditions or pregnancy"))
        }
        if !a.canSelfCareOrHasCarer { failures.append(Failure(code: "care", vi: "Không tự chăm sóc được và không có người chăm sóc", en: "Cannot self-care and has no carer")) }
        return failures
    }
}
