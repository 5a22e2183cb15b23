"""The Streamlit app behind a team password: the script stops before the app until it is typed."""

import hmac
import os
import runpy
from pathlib import Path

import streamlit as st

from adapters.serving.appkit import PASSWORD_ENV

password = st.text_input("Team password", type="password")
if not hmac.compare_digest(password, os.environ[PASSWORD_ENV]):
    if password:
        st.error("Wrong team password.")
    st.info("Enter the team password to use the sales model.")
    st.stop()
runpy.run_path(str(Path(__file__).with_name("streamlit_app.py")))
