"""Move transfer proofs uploaded before 0002 out of the public MEDIA_ROOT (where
/media/payments/proofs/<name as uploaded> served them to anyone) into the private storage,
re-encoded under a random name. A file that is not an image is kept, privately, as .bin:
the proof view offers it only as a download, never inline."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import migrations


def move(apps, schema_editor):
    from weishang.core.uploads import private_storage, reencode_image

    public = FileSystemStorage(location=settings.MEDIA_ROOT)
    for model_name in ("Payment", "TopUp"):
        model = apps.get_model("payments", model_name)
        for row in model.objects.exclude(proof="").only("pk", "proof").iterator():
            old = row.proof.name
            if not old or private_storage.exists(old) or not public.exists(old):
                continue
            with public.open(old, "rb") as fh:
                data = fh.read()
            try:
                clean = reencode_image(ContentFile(data, name=old))
            except ValidationError:
                clean = ContentFile(data, name=f"{uuid.uuid4().hex}.bin")
            new = private_storage.save(f"payments/proofs/{clean.name}", clean)
            model.objects.filter(pk=row.pk).update(proof=new)
            public.delete(old)


class Migration(migrations.Migration):

    dependencies = [("payments", "0003_private_proofs_collection_details")]

    operations = [migrations.RunPython(move, migrations.RunPython.noop)]
