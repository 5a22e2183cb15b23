"""Jenkins, with the same pipeline as a declarative Jenkinsfile.

Jenkins itself cannot be installed here: Debian has no package of it and no registry
reachable from this machine serves ``jenkins.war``, so the registry entry needs a
``jenkins`` program and the row reads "not run". The Jenkinsfile is still the user's
code for the pipeline and is counted like the other systems' configs.
"""

from __future__ import annotations

from adapters.cicd.base import PipelineRun, Runner

JENKINSFILE = """\
pipeline {
    agent any
    triggers { pollSCM('H/5 * * * *') }
    stages {
        stage('lint') { steps { sh 'make lint' } }
        stage('test') { steps { sh 'make test' } }
        stage('validate') { steps { sh 'make validate' } }
        stage('train') {
            matrix {
                axes { axis { name 'CONFIG'; values 'ridge', 'forest' } }
                stages {
                    stage('train and save') { steps { sh "make train save CONFIG=${CONFIG}" } }
                }
            }
        }
        stage('report') { steps { sh 'make report' } }
    }
}
"""


class JenkinsRunner(Runner):
    name = "jenkins"

    def config_files(self) -> dict[str, str]:
        return {"Jenkinsfile": JENKINSFILE}

    def run_pipeline(self) -> PipelineRun:
        raise self.not_supported("run_pipeline", "Jenkins is not installed here")
