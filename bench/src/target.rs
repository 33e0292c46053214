//! The two servers behind one face: how a client subscribes and what REST call makes an
//! event, for the fan-out and for the inquiry (topic) scenario.

use std::net::SocketAddr;

use reqwest::Method;
use serde_json::json;

use crate::api::World;

/// The event type each scenario waits for (the Node baseline sends the same types).
pub const FANOUT_KIND: &str = "case.updated";
pub const TOPIC_KIND: &str = "inquiry.thread_post";
/// Clinics in the demo set with a rehab coordinator.
pub const CLINICS: usize = 4;

/// How one connection subscribes.
#[derive(Clone)]
pub enum ConnSpec {
    /// Ours: a ticket for this user's token.
    Ticket(String),
    /// Node: these topics.
    Topics(String),
}

/// Who listens in the inquiry scenario: one connection per responsible social worker
/// (their cases) and one per clinic coordinator (the cases with consent for the clinic),
/// so each change has exactly two permitted recipients.
pub struct Listener {
    pub user: Option<usize>,
    pub clinic: Option<usize>,
    pub cases: Vec<usize>,
}

/// The responsible user and clinic of inquiry case `i` (the same on both servers).
pub fn assignment(i: usize, users: usize) -> (usize, usize) {
    (i % users.max(1), i % CLINICS)
}

pub fn layout(users: usize, cases: usize) -> Vec<Listener> {
    let mut listeners: Vec<Listener> = Vec::new();
    for user in 0..users.min(cases) {
        let cases = (0..cases)
            .filter(|&i| assignment(i, users).0 == user)
            .collect();
        listeners.push(Listener {
            user: Some(user),
            clinic: None,
            cases,
        });
    }
    for clinic in 0..CLINICS.min(cases) {
        let cases = (0..cases)
            .filter(|&i| assignment(i, users).1 == clinic)
            .collect();
        listeners.push(Listener {
            user: None,
            clinic: Some(clinic),
            cases,
        });
    }
    listeners
}

pub struct NodeBaseline {
    http: reqwest::Client,
    base: String,
}

impl NodeBaseline {
    pub fn new(http: reqwest::Client, addr: SocketAddr) -> Self {
        Self {
            http,
            base: format!("http://{addr}"),
        }
    }

    async fn publish(&self, topic: &str, kind: &str, subject: &str) -> anyhow::Result<()> {
        let reply = self
            .http
            .post(format!("{}/publish", self.base))
            .json(&json!({"topic": topic, "type": kind, "subject_id": subject}))
            .send()
            .await?;
        anyhow::ensure!(reply.status().is_success(), "publish: {}", reply.status());
        let _ = reply.bytes().await?;
        Ok(())
    }
}

pub enum Target {
    Ours(World),
    Node(NodeBaseline),
}

impl Target {
    /// The stream URL path for a connection to `node` (a ticket from that node).
    pub async fn stream_path(&self, spec: &ConnSpec, node: usize) -> anyhow::Result<String> {
        match (self, spec) {
            (Target::Ours(world), ConnSpec::Ticket(token)) => Ok(format!(
                "/api/stream?ticket={}",
                world.node(node).ticket(token).await?
            )),
            (Target::Node(_), ConnSpec::Topics(topics)) => Ok(format!("/stream?topics={topics}")),
            _ => anyhow::bail!("a subscription of the other server"),
        }
    }

    /// `clients` subscribers of the fan-out event, spread over the users.
    pub fn fanout_specs(&self, clients: usize) -> Vec<ConnSpec> {
        match self {
            Target::Ours(world) => (0..clients)
                .map(|i| ConnSpec::Ticket(world.users[i % world.users.len()].clone()))
                .collect(),
            Target::Node(_) => vec![ConnSpec::Topics("fanout".into()); clients],
        }
    }

    pub fn fanout_key(&self) -> String {
        match self {
            Target::Ours(world) => world.fanout_case.clone(),
            Target::Node(_) => "fanout".into(),
        }
    }

    /// One change that every fan-out subscriber may see.
    pub async fn fanout_send(&self, round: usize) -> anyhow::Result<()> {
        match self {
            Target::Ours(world) => {
                let body = json!({"title": format!("Runda {}", round + 1)});
                let path = format!("/api/cases/{}", world.fanout_case);
                world
                    .api
                    .call(Method::PATCH, &path, Some(&world.sara), Some(&body))
                    .await?;
                Ok(())
            }
            Target::Node(node) => node.publish("fanout", FANOUT_KIND, "").await,
        }
    }

    pub fn topic_specs(&self, listeners: &[Listener]) -> anyhow::Result<Vec<ConnSpec>> {
        listeners
            .iter()
            .map(|l| match self {
                Target::Ours(world) => {
                    let token = match (l.user, l.clinic) {
                        (Some(user), _) => world.users.get(user),
                        (None, Some(clinic)) => world.clinics.get(clinic),
                        (None, None) => None,
                    };
                    token
                        .cloned()
                        .map(ConnSpec::Ticket)
                        .ok_or_else(|| anyhow::anyhow!("no such listener"))
                }
                Target::Node(_) => {
                    let topics: Vec<String> = l.cases.iter().map(|c| format!("c{c}")).collect();
                    Ok(ConnSpec::Topics(topics.join(",")))
                }
            })
            .collect()
    }

    pub fn topic_keys(&self, cases: usize) -> Vec<String> {
        match self {
            Target::Ours(world) => world
                .inquiry_cases
                .iter()
                .map(|c| c.case_id.clone())
                .collect(),
            Target::Node(_) => (0..cases).map(|c| format!("c{c}")).collect(),
        }
    }

    /// One change of inquiry case `case` for its two recipients.
    pub async fn topic_send(&self, case: usize, n: u64) -> anyhow::Result<()> {
        match self {
            Target::Ours(world) => {
                let inquiry = world
                    .inquiry_cases
                    .get(case)
                    .ok_or_else(|| anyhow::anyhow!("no case {case}"))?;
                let token = world.users.get(inquiry.user).map(String::as_str);
                let path = format!("/api/inquiries/{}/thread", inquiry.inquiry_id);
                let body = json!({"body": format!("Uppföljande fråga {n}")});
                world
                    .api
                    .call(Method::POST, &path, token, Some(&body))
                    .await?;
                Ok(())
            }
            Target::Node(node) => {
                node.publish(&format!("c{case}"), TOPIC_KIND, &format!("i{case}"))
                    .await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inquiry_case_has_two_listeners() {
        let listeners = layout(100, 100);
        assert_eq!(listeners.len(), 104);
        for case in 0..100 {
            assert_eq!(
                listeners.iter().filter(|l| l.cases.contains(&case)).count(),
                2
            );
        }
        let few_users = layout(3, 10);
        assert_eq!(few_users.len(), 7);
        assert_eq!(few_users[0].cases, [0, 3, 6, 9]);
    }
}
