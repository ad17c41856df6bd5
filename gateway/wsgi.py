from django.core.wsgi import get_wsgi_application

from gateway.settings_module import use_settings_module

use_settings_module()

application = get_wsgi_application()
