//! Writing aws-auth without a race: read, merge the managed mappings into what is there, write
//! with the resourceVersion read (or create when absent); on 409 — someone else wrote or created
//! it in between — wait a jittered moment, read again and merge again. Nothing another writer
//! added is lost, and only the keys the plan showed as deleted are deleted (see
//! `aws_auth::MergeRequest`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, PostParams};

use super::ApplyError;
use crate::aws_auth::{self, AwsAuthData, Claims, MergeRequest};
use crate::live::kubernetes::with_retries;

/// How many read-merge-write rounds before giving up on a ConfigMap that keeps changing.
const ATTEMPTS: u32 = 12;

pub async fn write(kube: &kube::Client, request: &MergeRequest<'_>) -> Result<(), ApplyError> {
    let api: Api<ConfigMap> = Api::namespaced(kube.clone(), "kube-system");
    for attempt in 0..ATTEMPTS {
        let current = with_retries(|| api.get_opt("aws-auth")).await.map_err(super::kube_error)?;
        let (live, claims) = match &current {
            Some(cm) => {
                let data: BTreeMap<String, String> = cm.data.clone().unwrap_or_default();
                let parsed = AwsAuthData::parse(&data).map_err(|e| ApplyError::AwsAuthUnreadable(e.to_string()))?;
                let annotation = cm.metadata.annotations.as_ref().and_then(|a| a.get(aws_auth::MANAGED_ANNOTATION));
                let claims = aws_auth::claims_from_annotation(annotation.map(String::as_str))
                    .map_err(|e| ApplyError::AwsAuthUnreadable(e.to_string()))?;
                (parsed, claims)
            }
            None => (AwsAuthData::default(), Claims::new()),
        };
        let merged = aws_auth::merge(&live, &claims, request);
        if current.is_some() && aws_auth::equivalent(&live, &merged.data) && merged.claims == claims {
            return Ok(());
        }
        let mut cm = current.clone().unwrap_or_else(|| ConfigMap {
            metadata: kube::api::ObjectMeta {
                name: Some("aws-auth".into()),
                namespace: Some("kube-system".into()),
                ..Default::default()
            },
            ..Default::default()
        });
        cm.data = Some(merged.data.render());
        cm.metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(aws_auth::MANAGED_ANNOTATION.into(), aws_auth::claims_to_annotation(&merged.claims));
        // Safe to repeat: a replace carries the resourceVersion read, and a create of what a
        // lost answer already created is a 409 — both end in reading and merging again.
        let written = with_retries(|| async {
            match &current {
                Some(_) => api.replace("aws-auth", &PostParams::default(), &cm).await,
                None => api.create(&PostParams::default(), &cm).await,
            }
        })
        .await;
        match written {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(s)) if s.code == 409 && attempt + 1 < ATTEMPTS => {
                // Other writers are busy: step back a little (jittered, growing) so that
                // several writers do not keep colliding in lockstep.
                let ceiling = (20u64 << attempt.min(5)).min(500);
                tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(ceiling / 4..=ceiling))).await;
            }
            Err(e) => return Err(super::kube_error(e)),
        }
    }
    Err(ApplyError::AwsAuthContended)
}
