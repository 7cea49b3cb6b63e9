################################################################################
# CodeConnections: the connection the Source action reads through, when this module creates it
################################################################################

# A connection made through the API starts PENDING: an admin completes it once in the console (Developer Tools >
# Settings > Connections > Update pending connection) and installs the provider app. Until then the pipeline's
# Source action fails; Terraform never sees the handshake (connection_status is read, never set).
resource "aws_codestarconnections_connection" "this" {
  count = !local.use_codecommit && var.source_connection.create ? 1 : 0

  name          = coalesce(var.source_connection.name, local.name)
  provider_type = var.source_connection.host_arn == "" ? var.source_connection.provider_type : null
  host_arn      = var.source_connection.host_arn == "" ? null : var.source_connection.host_arn
  tags          = var.tags
}

locals {
  connection_arn = local.use_codecommit ? "" : (
    var.source_connection.create ? aws_codestarconnections_connection.this[0].arn : var.source_connection.connection_arn
  )
}
