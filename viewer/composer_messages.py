"""The composer panel's texts (frontend/src/viewer/composer.js) in the visitor's language.

The page passes them to the panel as JSON (`data-messages` of `[data-gp-composer]`); `{name}` placeholders are filled
in by the script. The script carries the same French texts, used when the page gives none.
"""

from django.utils.translation import gettext as _


def composer_messages() -> dict[str, str]:
    return {
        "heading": _("Composer la carte"),
        "hidePanel": _("Masquer le panneau de composition"),
        "showPanel": _("Afficher le panneau de composition"),
        "mapSection": _("Carte"),
        "title": _("Titre de la carte"),
        "description": _("Description"),
        "publicMap": _("Carte publique"),
        "publicAlready": _(
            "La carte est publique. Pour la rendre privée ou la partager avec des groupes, utilisez la page "
            "« Partage » de sa fiche."
        ),
        "publicHelp": _(
            "Cochée, la carte est visible par tous dès l’enregistrement. Pour la rendre privée ou la partager avec "
            "des groupes, utilisez la page « Partage » de sa fiche."
        ),
        "sharing": _("Partage détaillé de la carte"),
        "extentUse": _("Utiliser la vue actuelle comme emprise initiale"),
        "extentCurrent": _("Emprise initiale : {bbox} (ouest, sud, est, nord)."),
        "extentNone": _("Emprise initiale : la vue affichée au moment de l’enregistrement."),
        "extentSet": _("La vue actuelle sera l’emprise initiale de la carte."),
        "save": _("Enregistrer la carte"),
        "saving": _("Enregistrement en cours…"),
        "saved": _("Carte enregistrée."),
        "created": _("Carte créée. Ouverture de la page de modification…"),
        "saveFailed": _("L’enregistrement a échoué."),
        "titleRequired": _("Donnez un titre à la carte avant de l’enregistrer."),
        "network": _("Le serveur ne répond pas. Vérifiez votre connexion et réessayez."),
        "searchSection": _("Ajouter des données du catalogue"),
        "searchLabel": _("Rechercher dans le catalogue"),
        "searchButton": _("Rechercher"),
        "searching": _("Recherche en cours…"),
        "searchNone": _("Aucune donnée trouvée."),
        "searchOne": _("1 donnée trouvée."),
        "searchMany": _("{count} données trouvées."),
        "searchFailed": _("La recherche a échoué."),
        "searchInView": _("Seulement les données présentes dans la vue actuelle"),
        "searchMore": _("Plus de résultats"),
        "newTab": _(" (fiche, dans un nouvel onglet)"),
        "noData": _("sans données publiées"),
        "kindVector": _("vecteur"),
        "kindRaster": _("raster"),
        "add": _("Ajouter"),
        "addLabel": _("Ajouter « {title} » à la carte"),
        "addExternalLabel": _("Ajouter la couche externe « {title} » à la carte"),
        "added": _("Couche « {title} » ajoutée à la carte."),
        "notViewable": _("Vous ne pouvez pas voir les données de « {title} » : la couche n’est pas ajoutée."),
        "externalSection": _("Ajouter une couche d’un service externe"),
        "externalUrl": _("Adresse du service"),
        "externalService": _("Type de service"),
        "serviceWms": _("WMS (carte)"),
        "serviceWmts": _("WMTS (tuiles)"),
        "serviceWfs": _("WFS (objets)"),
        "externalRead": _("Lire les capacités"),
        "externalReading": _("Lecture des capacités du service…"),
        "externalNone": _("Ce service ne propose aucune couche."),
        "externalCount": _("{title} : {count} couche(s) disponible(s)."),
        "externalCountUntitled": _("{count} couche(s) disponible(s)."),
        "externalFailed": _("Les capacités du service n’ont pas pu être lues."),
        "externalUrlRequired": _("Indiquez l’adresse du service (http:// ou https://)."),
        "layersSection": _("Couches de la carte"),
        "layersEmpty": _(
            "La carte ne contient encore aucune couche. Ajoutez-en depuis le catalogue ou un service externe."
        ),
        "layerName": _("Nom affiché"),
        "layerFolder": _("Groupe (dossier)"),
        "layerFolderHelp": _("Sous-groupes séparés par « / », par exemple Environnement/Eau."),
        "layerStyle": _("Style"),
        "layerStyleDefault": _("Style par défaut"),
        "layerRemove": _("Retirer"),
        "layerRemoveLabel": _("Retirer « {title} » de la carte"),
        "removed": _("Couche « {title} » retirée de la carte."),
        "renamed": _("Couche renommée « {title} »."),
        "grouped": _("Couche « {title} » placée dans le groupe « {folder} »."),
        "ungrouped": _("Couche « {title} » sortie de son groupe."),
        "styled": _("Style « {style} » appliqué à « {title} »."),
        "fileSection": _("Fichier de contexte OWS"),
        "exportButton": _("Exporter le contexte (contexte.json)"),
        "exported": _("Fichier contexte.json téléchargé."),
        "importLabel": _("Importer un fichier de contexte OWS (GeoJSON)"),
        "importButton": _("Importer"),
        "importNoFile": _("Choisissez un fichier de contexte à importer."),
        "importBad": _("Ce fichier n’est pas un contexte OWS GeoJSON (FeatureCollection) lisible."),
        "importTooBig": _("Ce fichier est trop volumineux pour un contexte de carte (5 Mo au plus)."),
        "imported": _("Contexte importé : {count} couche(s). Enregistrez la carte pour le conserver."),
    }
