"""mlops-deployer: roll SageMaker Model Registry versions out to real-time endpoints across AWS accounts."""

__version__ = "0.1.0"
