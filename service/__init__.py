"""kringloop.service"""
