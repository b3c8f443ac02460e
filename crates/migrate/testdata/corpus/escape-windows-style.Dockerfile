# escape=`
FROM python:3.12
RUN pip install `
      gunicorn `
      # pinned for the worker class
      gevent==24.2.1
COPY app C:\app\
WORKDIR /app
ONBUILD COPY extra/ /app/extra/
STOPSIGNAL SIGTERM
CMD gunicorn -k gevent -b 0.0.0.0:80 app:wsgi
