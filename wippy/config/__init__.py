"""wippy.config"""
