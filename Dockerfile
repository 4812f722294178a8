FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY crisisdesk ./crisisdesk
COPY inbox ./inbox
COPY escalation ./escalation
COPY playbooks ./playbooks
COPY integrations ./integrations
COPY console ./console
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=build DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "crisisdesk.asgi:application"]
