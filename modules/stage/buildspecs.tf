################################################################################
# Platform-owned buildspecs (inline in the CodeBuild projects, not in the repo)
#
# A push to the stage repository changes data only (config/<stage>.json, the smoke
# cases and payloads) for these actions. The deployer wheel is the one Terraform
# uploaded, downloaded and installed from outside the source directory, and run
# through its console script (not `python -m`, which would import from the
# working directory first), so nothing in the repository can replace its code.
################################################################################

locals {
  buildspec_env = <<-EOT
    version: 0.2
    env:
      shell: bash
      variables:
        DEPLOYER_OUTPUT: text
  EOT

  buildspec_phases = <<-EOT
    phases:
      install:
        runtime-versions:
          python: "3.11"
        commands:
          - |-
            ${indent(8, trimspace(file("${path.module}/install-deployer.sh")))}
  EOT

  buildspec_install = "${trimspace(local.buildspec_env)}\n${trimspace(local.buildspec_phases)}"

  # What `deployer plan --exports` prints, exported to the pipeline as #{Plan.<name>}.
  plan_exports = [
    "DEPLOYER_STAGE", "DEPLOYER_CANDIDATE_VERSION", "DEPLOYER_CANDIDATE_ARN", "DEPLOYER_ACTION",
    "DEPLOYER_LIVE_VERSION", "DEPLOYER_VERIFIED_IN", "DEPLOYER_VERIFIED_AT", "DEPLOYER_VERIFIED_BUILD",
    "DEPLOYER_METRIC_GATE",
  ]

  plan_buildspec = <<-EOT
    # Plan action (platform-owned, from Terraform), before the manual approval: resolve the candidate and
    # export it, so the approval names the version and the Deploy action deploys exactly that one. It runs
    # the metric gate and deploy's whole preflight, so a candidate that would fail fails here, not after
    # a human approved it.
    ${trimspace(local.buildspec_env)}
      exported-variables:${join("", [for name in local.plan_exports : "\n    - ${name}"])}
    ${trimspace(local.buildspec_phases)}
      build:
        commands:
          - exports="$(deployer plan --stage "$STAGE" --preflight --exports)" && eval "$exports"
  EOT

  rollback_buildspec = <<-EOT
    # Rollback build (platform-owned, from Terraform), started by the registry's rejection event outside the
    # pipeline: when the live version is Rejected, go back to the newest good version this stage ran before.
    ${trimspace(local.buildspec_install)}
      build:
        commands:
          - deployer rollback --stage "$STAGE" --if-rejected
  EOT

  teardown_buildspec = <<-EOT
    # Teardown build (platform-owned, from Terraform), started by an operator before `terraform destroy`: delete
    # the endpoint and the configs and models the deployer created for it, and record it in the ledger.
    ${trimspace(local.buildspec_install)}
      build:
        commands:
          - deployer teardown --stage "$STAGE" --yes --reason "$${TEARDOWN_REASON:-teardown build $CODEBUILD_BUILD_ID started by $CODEBUILD_INITIATOR}"
  EOT

  deploy_buildspec = <<-EOT
    # Deploy action (platform-owned, from Terraform): roll the candidate out to this stage's endpoint; after a
    # manual approval, exactly the version the Plan action named (DEPLOYER_MODEL_VERSION from the pipeline).
    ${trimspace(local.buildspec_install)}
      build:
        commands:
          - deployer plan --stage "$STAGE" $${DEPLOYER_MODEL_VERSION:+--model-version "$DEPLOYER_MODEL_VERSION"}
          - deployer deploy --stage "$STAGE" $${DEPLOYER_MODEL_VERSION:+--model-version "$DEPLOYER_MODEL_VERSION"}
  EOT

  promote_buildspec = <<-EOT
    # Promote action (platform-owned, from Terraform), after the team's Test action passed: run the repo's
    # smoke cases (data) with the platform's code, record "verified", and start the next stage.
    ${trimspace(local.buildspec_install)}
      build:
        commands:
          - deployer test --stage "$STAGE" --junit-xml reports/${local.promote_report_name}.xml
          - deployer promote --stage "$STAGE"
    reports:
      ${local.promote_report_name}:
        base-directory: reports
        files:
          - ${local.promote_report_name}.xml
        file-format: JUNITXML
  EOT
}
