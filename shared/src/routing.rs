//! Routing: ordered rules, first match wins, each naming a queue. A rule marked `continue`
//! adds its queue and lets matching go on, which is how a patient-safety report reaches the
//! command-center lead as well as the team that will fix it.

use serde::{Deserialize, Serialize};

use crate::golive::GoLive;
use crate::ids::{FacilityId, ModuleId, QueueId};
use crate::report::{Kind, Report, Severity};

/// One routing rule. Every condition given must hold; absent conditions match anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<ModuleId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<FacilityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    pub queue: QueueId,
    /// Also route here, then keep matching the rules below.
    #[serde(default, rename = "continue", skip_serializing_if = "std::ops::Not::not")]
    pub and_continue: bool,
}

impl Rule {
    /// A rule sending everything to `queue`; narrow it with the builder methods.
    pub fn to(queue: &str) -> Rule {
        Rule {
            kind: None,
            module: None,
            facility: None,
            severity: None,
            queue: QueueId::new(queue),
            and_continue: false,
        }
    }

    pub fn kind(self, kind: Kind) -> Rule {
        Rule { kind: Some(kind), ..self }
    }

    pub fn module(self, module: &str) -> Rule {
        Rule { module: Some(ModuleId::new(module)), ..self }
    }

    pub fn facility(self, facility: &str) -> Rule {
        Rule { facility: Some(FacilityId::new(facility)), ..self }
    }

    pub fn severity(self, severity: Severity) -> Rule {
        Rule { severity: Some(severity), ..self }
    }

    pub fn and_continue(self) -> Rule {
        Rule { and_continue: true, ..self }
    }

    pub fn matches(&self, report: &Report) -> bool {
        self.kind.is_none_or(|k| k == report.kind)
            && self.module.as_ref().is_none_or(|m| *m == report.module)
            && self.facility.as_ref().is_none_or(|f| *f == report.facility)
            && self.severity.is_none_or(|s| s == report.severity)
    }
}

/// The queues a report goes to, in rule order, without repeats; never empty, since a
/// report no rule claims goes to the go-live's fallback queue.
pub fn route_report(report: &Report, golive: &GoLive) -> Vec<QueueId> {
    let mut queues: Vec<QueueId> = Vec::new();
    let mut settled = false;
    for rule in golive.rules().iter().filter(|r| r.matches(report)) {
        if !queues.contains(&rule.queue) {
            queues.push(rule.queue.clone());
        }
        if !rule.and_continue {
            settled = true;
            break;
        }
    }
    if !settled && !queues.contains(golive.fallback_queue()) {
        queues.push(golive.fallback_queue().clone());
    }
    queues
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golive::GoLiveSpec;
    use crate::ids::{ReportId, ReporterId, UnitId};

    fn report(kind: Kind, severity: Severity, facility: &str, module: &str) -> Report {
        Report {
            id: ReportId(uuid::Uuid::nil()),
            facility: FacilityId::new(facility),
            unit: UnitId::new(format!("{facility}-ed")),
            module: ModuleId::new(module),
            kind,
            severity,
            summary: "x".into(),
            details: None,
            affected_role: None,
            affected_users: 1,
            resolved_at_elbow: false,
            reporter: ReporterId::parse("t").unwrap(),
            reported_at: time::OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn queues(r: &Report) -> Vec<String> {
        route_report(r, &GoLive::example()).iter().map(|q| q.to_string()).collect()
    }

    #[test]
    fn routes_configuration_issues_to_the_modules_analysts() {
        assert_eq!(queues(&report(Kind::Configuration, Severity::Medium, "rmc", "willow")), ["analysts-willow"]);
    }

    #[test]
    fn routes_access_issues_to_it() {
        assert_eq!(queues(&report(Kind::Access, Severity::High, "sjh", "clindoc")), ["it-access"]);
    }

    #[test]
    fn routes_training_gaps_to_the_facilitys_training_queue() {
        assert_eq!(queues(&report(Kind::TrainingGap, Severity::Low, "lch", "clindoc")), ["training-lch"]);
    }

    #[test]
    fn routes_process_issues_to_operations() {
        assert_eq!(queues(&report(Kind::Process, Severity::Medium, "wrh", "cadence")), ["operations"]);
    }

    #[test]
    fn patient_safety_also_reaches_the_command_center_lead() {
        assert_eq!(
            queues(&report(Kind::Configuration, Severity::PatientSafety, "rmc", "beacon")),
            ["cc-lead", "analysts-beacon"]
        );
    }

    #[test]
    fn first_match_wins_and_unmatched_reports_fall_back() {
        let mut spec: GoLiveSpec = GoLive::example().into();
        spec.rules =
            vec![Rule::to("operations").kind(Kind::Process).facility("rmc"), Rule::to("it-access").kind(Kind::Process)];
        let g = GoLive::try_from(spec).unwrap();
        let route = |r: &Report| route_report(r, &g).iter().map(|q| q.to_string()).collect::<Vec<_>>();
        assert_eq!(route(&report(Kind::Process, Severity::Low, "rmc", "asap")), ["operations"]);
        assert_eq!(route(&report(Kind::Process, Severity::Low, "sjh", "asap")), ["it-access"]);
        assert_eq!(route(&report(Kind::Access, Severity::Low, "sjh", "asap")), ["cc-lead"]);
    }

    #[test]
    fn a_continue_rule_that_is_also_the_fallback_is_not_repeated() {
        let mut spec: GoLiveSpec = GoLive::example().into();
        spec.rules = vec![Rule::to("cc-lead").and_continue()];
        let g = GoLive::try_from(spec).unwrap();
        assert_eq!(
            route_report(&report(Kind::Access, Severity::Low, "sjh", "asap"), &g),
            vec![QueueId::new("cc-lead")]
        );
    }
}
