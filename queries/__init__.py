"""kringloop.queries"""
