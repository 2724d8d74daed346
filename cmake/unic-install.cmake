# install rules: next step
