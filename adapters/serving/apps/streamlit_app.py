"""The sales-model app in Streamlit: widgets instead of HTML; the page talks over a websocket."""

from __future__ import annotations

import os

import streamlit as st

from adapters.serving.appkit import (
    CHOICE_FIELDS,
    MODEL_ENV,
    NUMBER_FIELDS,
    InputError,
    load_model,
    parse_inputs,
    predict,
)

model = st.cache_resource(load_model)(os.environ[MODEL_ENV])
st.title("Predict units sold")
columns = st.columns(3)
values: dict[str, object] = {
    field.name: columns[number % 3].number_input(
        field.label, min_value=0.0, max_value=1.0 if field.flag else None, value=field.default
    )
    for number, field in enumerate(NUMBER_FIELDS)
}
for name, choices in CHOICE_FIELDS.items():
    values[name] = st.selectbox(name, choices)
if st.button("Predict"):
    try:
        result = predict(model, parse_inputs(values))
    except InputError as error:
        st.error(str(error))
    else:
        st.markdown(f"Predicted units sold: **{result.as_text()}** (bucket {result.bucket})")
