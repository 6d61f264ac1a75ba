"""Models from the Hugging Face Hub: config.json and safetensors headers read into napkin's ModelArch."""
