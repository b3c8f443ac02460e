# A small service script run by the interpreter.
FROM python:3.12-slim
WORKDIR /app
COPY app.py .
ENV GREETING=hello
USER root
CMD python app.py --name buckle
