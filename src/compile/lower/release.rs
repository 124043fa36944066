//! Lowering the release: its version, tag, name, pre-release flag and receiving
//! repository, the built-in `release` job that publishes, and the `[fallback]` trigger.

use semver::Version;

use super::{
    DEFAULT_RETRIES, Draft, Lowerer, Need, RELEASE_ESTIMATE_S, RELEASE_JOB, RELEASE_TIMEOUT_S,
    pinned, placeholder_values, trigger_repo,
};
use crate::compile::Options;
use crate::compile::placeholder::fill;
use crate::compile::plan_file::Prerelease;
use crate::compile::suggest::did_you_mean;
use crate::compiled::{self, Job, JobKind, Payload, Release};
use crate::diagnostic::Code;

impl Lowerer<'_> {
    pub(super) fn release(&mut self, options: &Options) -> Release {
        let section = &self.plan.release;
        let version = self
            .release_version(options)
            .unwrap_or(Version::new(0, 0, 0));
        let tag_template = section.tag.as_ref().map_or("v{version}", |t| t.as_str());
        let tag = fill(tag_template, &[("version", &version.to_string())]);
        let prerelease = match section.prerelease.as_ref().map(|p| &p.value) {
            Some(Prerelease::Flag(flag)) => *flag,
            Some(Prerelease::Mode(_)) | None => !version.pre.is_empty(),
        };
        let (repo, commit) = match &section.publish_to {
            Some(target) => {
                let commit = match self.manifest.entry(target) {
                    Some(entry) => pinned(&entry.git_commit),
                    None => {
                        let names = self.manifest.entries.iter().map(|e| e.name.as_str());
                        let help = did_you_mean(target, names).unwrap_or_else(|| {
                            "name the [versions] entry whose repository receives the release".into()
                        });
                        self.error(
                            Code::UnknownRepo,
                            format!(
                                "publish_to names `{}`, which is not in [versions]",
                                **target
                            ),
                            self.in_plan(&target.span),
                            "unknown repository",
                            Some(help),
                        );
                        None
                    }
                };
                (Some(self.github_repo(&self.github_name(target))), commit)
            }
            None => (None, None),
        };
        Release {
            name: section
                .name
                .as_ref()
                .map_or(tag.clone(), |n| n.value.clone()),
            version: version.to_string(),
            tag,
            prerelease,
            repo,
            commit,
        }
    }

    fn release_version(&mut self, options: &Options) -> Option<Version> {
        let section = &self.plan.release;
        if let (Some(version), Some(from)) = (&section.version, &section.version_from) {
            self.error(
                Code::ReleaseVersion,
                "[release] sets both `version` and `version_from`",
                self.in_plan(&from.span),
                "second source of the version",
                Some(format!(
                    "keep one: version = \"{}\" or version_from = \"{}\"",
                    **version, **from
                )),
            );
            return None;
        }
        if let Some(text) = &options.release_version {
            return match Version::parse(text.strip_prefix('v').unwrap_or(text)) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.error(
                        Code::InvalidSemver,
                        format!("--release-version `{text}`: {e}"),
                        None,
                        "",
                        Some("pass a semantic version such as 1.2.0 or 1.2.0-rc.1".into()),
                    );
                    None
                }
            };
        }
        if let Some(text) = &section.version {
            return match Version::parse(text) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.error(
                        Code::InvalidSemver,
                        format!("`{}` is not a semantic version", **text),
                        self.in_plan(&text.span),
                        &e.to_string(),
                        Some("versions are MAJOR.MINOR.PATCH, e.g. \"1.2.0\"".into()),
                    );
                    None
                }
            };
        }
        if let Some(from) = &section.version_from {
            return match self.manifest.entry(from) {
                Some(entry) => entry.version.as_ref().map(|v| v.value.clone()),
                None => {
                    let names = self.manifest.entries.iter().map(|e| e.name.as_str());
                    let help = did_you_mean(from, names);
                    self.error(
                        Code::UnknownRepo,
                        format!(
                            "version_from names `{}`, which is not in [versions]",
                            **from
                        ),
                        self.in_plan(&from.span),
                        "unknown repository",
                        help,
                    );
                    None
                }
            };
        }
        let versions: Vec<&Version> = self
            .manifest
            .entries
            .iter()
            .filter_map(|e| e.version.as_deref())
            .collect();
        let highest = versions.iter().copied().max()?;
        // Without a release to publish, the version only names the run: the highest will do.
        if versions.iter().all(|v| *v == highest) || section.publish_to.is_none() {
            return Some(highest.clone());
        }
        self.error(
            Code::ReleaseVersion,
            "the repositories have different versions, so the release version is unclear",
            self.in_plan(&(0..0)),
            "no release version",
            Some("set `version` or `version_from` in [release], or pass --release-version".into()),
        );
        None
    }

    /// The built-in `release` job, after every job that publishes.
    pub(super) fn release_job(&mut self, release: &Release, drafts: &mut Vec<Draft>) {
        let Some(repo) = &release.repo else {
            return;
        };
        let needs = drafts
            .iter()
            .filter(|d| !d.job.publish.is_empty())
            .map(|d| Need {
                target: d.job.id.clone(),
                origin: None,
            })
            .collect();
        let retries = self
            .plan
            .defaults
            .retries
            .as_ref()
            .map_or(DEFAULT_RETRIES, |r| r.value);
        drafts.push(Draft {
            job: Job {
                id: RELEASE_JOB.into(),
                kind: JobKind::Release,
                repo: repo.clone(),
                git_ref: Some(release.tag.clone()),
                commit: release.commit.clone(),
                version: Some(release.version.clone()),
                needs: Vec::new(),
                group: 0,
                trigger: None,
                payload: Payload::new(),
                timeout_s: RELEASE_TIMEOUT_S,
                retries,
                estimate_s: RELEASE_ESTIMATE_S,
                publish: Vec::new(),
                local: None,
            },
            needs,
            origin: self
                .plan
                .release
                .publish_to
                .as_ref()
                .and_then(|p| self.in_plan(&p.span)),
        });
    }

    pub(super) fn fallback(&mut self, release: &Release) -> Option<compiled::Trigger> {
        let fallback = self.plan.fallback.as_ref()?;
        let default_repo = match &release.repo {
            Some(repo) => repo.clone(),
            None if trigger_repo(fallback).is_some() => String::new(),
            None => {
                self.error(
                    Code::MissingKey,
                    "[fallback] has no repository",
                    self.in_plan(&fallback.span),
                    "no `repo` here and no `publish_to`",
                    Some("set `repo` in [fallback]".into()),
                );
                return None;
            }
        };
        let values = placeholder_values(release, "fallback", &default_repo, &release.tag);
        Some(self.trigger(fallback, &default_repo, Some(&release.tag), &values))
    }
}
