"""The monthly bulletin (产业链运行监测月报): context from the services, charts, HTML/PDF/DOCX."""
