# A volume rule's name must not be empty or blank.
volume " " {}
