"""wippy.actors"""
