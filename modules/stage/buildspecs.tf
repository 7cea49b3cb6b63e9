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
  buildspec_install = <<-EOT
    version: 0.2
    env:
      shell: bash
      variables:
        DEPLOYER_OUTPUT: text
    phases:
      install:
        runtime-versions:
          python: "3.11"
        commands:
          - wheel_dir="$(mktemp -d)" && aws s3 cp --only-show-errors "$DEPLOYER_WHEEL_S3_URI" "$wheel_dir/" && pip install --quiet --disable-pip-version-check "$wheel_dir"/*.whl
  EOT

  deploy_buildspec = <<-EOT
    # Deploy action (platform-owned, from Terraform): roll the candidate out to this stage's endpoint.
    ${trimspace(local.buildspec_install)}
      build:
        commands:
          - deployer plan --stage "$STAGE"
          - deployer deploy --stage "$STAGE"
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
